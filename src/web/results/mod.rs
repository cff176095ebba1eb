//! Answers: one chart per calculation (the first with the brush, selections and the heatmap
//! tools), the hover crosshair, and the results table. Each part draws from the result it is
//! handed and turns what a person does into its own messages.

pub mod calc_charts;
pub mod crosshair;
pub mod table;
pub mod tools;
