enum IngestModule {}
