"""The timeline query API (FastAPI): `services.api.app.build_app(settings)`."""
