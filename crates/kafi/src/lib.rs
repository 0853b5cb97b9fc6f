//! kafi.
