//! (being written: the SMTP/POP3 half of the mail crate)
