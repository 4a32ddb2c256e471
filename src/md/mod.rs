//! Automatic certificates the mod_md way: takes the plan's managed domains and gives their
//! certificates from an ACME CA, obtained and renewed in the background and served live
//! (`drive`), the store (`store`), keys and fallback certificates (`keys`), the challenge
//! answers and current certificates shared with the serving paths (`live`), and the status
//! JSON (`status`).

pub mod acme;
pub mod drive;
pub mod keys;
pub mod live;
pub mod status;
pub mod store;
