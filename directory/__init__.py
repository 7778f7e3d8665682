"""The SME directory Flask application. ``directory.app.create_app(config)`` assembles it."""
