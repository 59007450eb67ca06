"""The REST API at /api/v1: a second, JSON door onto the same domain functions the HTML views call.

operations.py declares each route once (method, path, scope, request and response models), openapi.py turns those
declarations into /api/v1/openapi.json, views.py holds the thin handlers, problems.py the RFC 9457 error bodies.
"""
