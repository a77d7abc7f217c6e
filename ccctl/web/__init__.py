"""The HTTP front (`ccctl serve`): web forms, the embed snippet and plugin webhooks.

Nothing here is imported by ``ccctl --help``: starlette and uvicorn load only when serving.
"""
