"""The Data page's import section without Streamlit (`cxdash.ui.importing` holds the widgets).

An uploaded file is saved to a private temporary folder beside the store (`upload`: DuckDB
reads paths, not memory buffers), checked by the importer itself (`check`), shown as a
mapping table a person can edit (`mapping_table`), and imported with the mapping that table
describes, the bar following the importer's phases (`progress`). The mapping round-trips
through the same dict `Mapping.parse` reads, so what the page imports and the TOML file it
offers for `cxdash import --mapping` are the same thing. `history` is what the page shows of
the imports the store records.
"""
