//! What of maskctl is pure and shared beyond its own binary: the parsing of an operator's pool
//! entries and pool CSV files, which the fuzz targets and their corpus replay in `make test` run
//! as the CLI does (`tests/entry_points`).

pub mod entry;
pub mod pool_csv;
