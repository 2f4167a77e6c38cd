"""The store's schema version, apart from tables.py so that reading it costs no SQLAlchemy import
(store/lite.py). Bump it with every change of the tables, with the step in migrate.py."""

SCHEMA_VERSION = 7
