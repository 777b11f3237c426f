//! The shared domain records that storage, directories, rules and presenters all speak:
//! [`Customer`] (what a directory answers) and [`NewContact`] (what is written to the local
//! directory). They sit below `store` and `directory` so that neither has to import the other
//! for its vocabulary; they hold data and its own validation, and do no I/O.

pub mod customer;

pub use customer::{Customer, NewContact};
