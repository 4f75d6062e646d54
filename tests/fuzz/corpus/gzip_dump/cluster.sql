--
-- PostgreSQL database cluster dump
--

\restrict k

SET default_transaction_read_only = off;

--
-- PostgreSQL database dump
--

-- Dumped from database version 14.17
-- Dumped by pg_dump version 14.17

--
-- PostgreSQL database dump complete
--

--
-- PostgreSQL database cluster dump complete
--

