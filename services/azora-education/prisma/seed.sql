-- Seed data for development and for `cargo xtask verify`.
INSERT INTO "students" ("id", "email", "fullName", "grade", "status", "lastLoginAt") VALUES
    ('stu_ada', 'ada@example.com', 'Ada Lovelace', 'A', 'active', CURRENT_TIMESTAMP),
    ('stu_alan', 'alan@example.com', 'Alan Turing', NULL, 'inactive', CURRENT_TIMESTAMP - INTERVAL '200 days');

INSERT INTO "courses" ("id", "title", "price") VALUES
    ('crs_math', 'Analytical Engines', 49.99),
    ('crs_logic', 'Computable Numbers', 0.00000001);

INSERT INTO "certificates" ("id", "studentId", "courseId") VALUES
    ('cert_1', 'stu_ada', 'crs_math');
