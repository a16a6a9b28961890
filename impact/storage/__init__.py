"""The versioned data store: programmes, immutable versions and their manifests, the atomic ACTIVE switch,
the writers' lock, rollback and deletion, the one import transaction, and the S3 mirror. It reads the model."""
