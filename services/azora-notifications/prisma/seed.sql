-- Seed data for development and for `cargo xtask verify`.
INSERT INTO "notifications" ("userId", "channel", "payload") VALUES
    ('usr_ada', 'EMAIL', '{"subject": "Welcome", "template": "welcome"}'),
    ('usr_ada', 'PUSH', '{"title": "Certificate issued"}');
