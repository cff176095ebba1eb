//! The query engine: Honeycomb's Query Specification in, Honeycomb-shaped results out.
//! See `../shared/reference/query-semantics.md` for the contract and [`execute`] for the pipeline.

pub mod aggregate;
pub mod arrow_out;
pub mod breakdown;
pub mod clause;
pub mod column;
pub mod execute;
pub mod export;
pub mod filter;
mod heat_pass;
pub mod heatmap;
pub mod intern;
pub mod matching;
pub(crate) mod order;
pub mod result;
pub mod select;
pub mod selection;
pub mod spec;
pub mod time_bucket;
pub mod warm;
pub mod warm_code;

pub use execute::{run, run_paced, run_with, RunOptions};
pub use result::QueryResult;
pub use spec::QuerySpec;
