-- A delivery no longer keeps a copy of its bank's webhook secret: it is
-- read from the bank's settings when the delivery is sent. Copies made
-- before are erased.
UPDATE deliveries SET secret = '';
