"""The HTTP API (FastAPI, served by Uvicorn inside the daemon) and the dashboard it serves.

Top layer beside cli: may import every layer below; the only home of fastapi, starlette,
uvicorn and prometheus_client. Importing this package itself imports none of them.
"""
