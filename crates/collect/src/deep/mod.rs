//! The deep sweep: walk a tree and report who signed the code in it.
//! (Being written: see ARCHITECTURE.md.)
