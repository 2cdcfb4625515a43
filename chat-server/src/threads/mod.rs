//! The threads connections run on: families of reusable threads (`spares`), which family a
//! connection is on at each step of its life and at what priority (`families`), how many
//! clients this process can start threads for (`ceiling`), and how many connections run their
//! first steps at once (`gate`).

pub(crate) mod ceiling;
pub(crate) mod families;
pub(crate) mod gate;
pub(crate) mod spares;
