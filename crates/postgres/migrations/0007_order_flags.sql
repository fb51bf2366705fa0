-- What was unreadable in an order when it arrived (design section 11): the domain's flag names,
-- comma-separated in the order the domain lists them ('email_unreadable,deliver_by_unreadable');
-- empty for an order with none, as every order stored before this migration is.
ALTER TABLE orders ADD COLUMN flags text NOT NULL DEFAULT '';
