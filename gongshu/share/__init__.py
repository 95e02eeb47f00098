"""数据共享: API keys, share requests and per-field grants, and the sharing API over the DWD tables."""
