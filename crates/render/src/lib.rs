//! Drawn and printed output of hemaflow. Pure functions from values to SVG (and later
//! PDF and ZPL); no I/O, no knowledge of HTTP or storage.

pub mod chart;
