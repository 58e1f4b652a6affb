"""Extraction as a client of a running vLLM OpenAI-compatible server (``--server URL``).

``options`` holds the run's server options, ``http`` the async client with its retries,
``remote`` the model/adapter preparation and the checks of the server against the run.
"""
