"""The QCDB: a versioned object store with CCDB semantics -- embedded, HTTP server and client.

(Being built: see issue 4.) It stores bytes and metadata; codecs live in :mod:`qcflow.objects`.
"""
