def register_routes(register):
    pass
