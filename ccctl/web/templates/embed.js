/* ccctl contact form: puts the form in an iframe where this script is pasted.
   Tenant data enters this script only as JSON (| tojson), never in a comment or a bare string. */
(function () {
  // Where this script came from is where the form lives (no Host header trusted for it).
  var script = document.currentScript;
  var base = new URL(script.src).origin, tenant = {{ tenant | tojson }};
  var holder = document.getElementById("ccctl-contact-" + tenant);
  if (!holder) {
    holder = document.createElement("div");
    script.parentNode.insertBefore(holder, script);
  }
  var ref = new URLSearchParams(window.location.search).get("ref");
  var src = base + "/t/" + encodeURIComponent(tenant) + "/contact?embed=1&page=" +
    encodeURIComponent(window.location.href.slice(0, 500)) + (ref ? "&ref=" + encodeURIComponent(ref) : "");
  var frame = document.createElement("iframe");
  frame.src = src;
  frame.title = {{ _("Contact %(tenant_name)s") | format(tenant_name=tenant_name) | tojson }};
  frame.style.cssText = "width:100%;min-height:560px;border:0";
  holder.appendChild(frame);
  window.addEventListener("message", function (event) {
    if (event.origin === base && event.source === frame.contentWindow && event.data && event.data.ccctlHeight) {
      frame.style.height = event.data.ccctlHeight + "px";
    }
  });
})();
