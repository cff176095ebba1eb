//! Asking: the query builder (clause boxes with completions, time range, granularity), the query
//! JSON editor folded under it, and the recent queries. Each part turns what a person does into
//! its own messages; the app applies them and runs the query.

pub mod builder;
pub mod history;
pub mod json;
