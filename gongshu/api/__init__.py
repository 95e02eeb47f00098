"""The platform's HTTP API: one FastAPI application (``app.create_app``) to which each area (sharing,
open data, and the ones to come) contributes a router (``routers``). Above every other package of
gongshu: it imports share and open, neither imports it."""
