"""Reports: KPIs, billing, staffing (Erlang C), attribution, and their HTML rendering."""
