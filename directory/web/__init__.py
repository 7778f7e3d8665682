"""Web pages and the JSON API: thin views over the services."""
