//! Tests of the library's inner parts, over many inputs: they call what is `pub(crate)`, so
//! they live here rather than in `tests/it` (which sees only the public face).

mod fuzz;
mod prisma_diff;
