"""One router module per area of the API; ``gongshu.api.app.ROUTERS`` mounts them."""
