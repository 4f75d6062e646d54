COPY public.asset (id, "ownerId", "originalPath") FROM stdin;
0a1b2c3d	user-1	/data/upload/a.jpg
0a1b2c3e	user-1	/data/upload/b.jpg
\.
