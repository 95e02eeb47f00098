"""gongshu (公数): the domain core of a city's public-data programme. Never imports Prefect."""

__version__ = "0.1.0"
