"""Exercise templates into variants and texts: catalogue, formulas, random streams, data sets, typography."""
