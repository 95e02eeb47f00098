"""数据共享: API keys, share requests and per-field grants, the data pages and the call log; its HTTP
endpoints are ``gongshu.api.routers.share``."""
