"""The Catena API client: configuration, requests, error kinds and the records it returns."""
