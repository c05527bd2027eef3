//! Drawn and printed output of hemaflow. Pure functions from values to SVG, PDF and
//! ZPL bytes; no I/O, no knowledge of HTTP or storage.

pub mod barcode;
pub mod chart;
pub mod document;
pub mod drawing;
pub mod font;
pub mod label;
pub mod number;
