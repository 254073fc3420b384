-- Built-in directives. Milestones are day offsets from `issued`
-- (catalog/authorities.toml).
INSERT INTO directives (name, title, issued, vendors, milestones, builtin) VALUES
('bod-17-01', 'DHS Binding Operational Directive 17-01', '2017-09-13', '["kaspersky"]',
 '[{"name":"identify","day":30},{"name":"plan","day":60},{"name":"begin-removal","day":90}]', 1),
('ndaa-fy19-889', 'NDAA FY2019 §889 (Parts A and B)', '2018-08-13', '["huawei","zte","hytera","hikvision","dahua"]',
 '[{"name":"part-a","day":365},{"name":"part-b","day":731}]', 1),
('bis-2024-kaspersky', 'Commerce BIS Final Determination ICTS-2021-002 (Kaspersky)', '2024-06-20', '["kaspersky"]',
 '[{"name":"no-new-agreements","day":30},{"name":"no-updates","day":101}]', 1);
