"""The `get_resource_operation` tool, the Catena client and the models it uses."""
