"""Pages for people: login, logout, the home page of each role, and form helpers."""
