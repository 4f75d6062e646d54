--
-- PostgreSQL database dump
--

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
CREATE TABLE public.asset (id uuid);

--
-- PostgreSQL database dump complete
--

\unrestrict abc

