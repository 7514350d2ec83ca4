-- Every instance keeps a valid flow token's verdict for a few seconds instead of asking the database
-- on every request, and must hear at once when a token is used: the booking statement sets used_at,
-- and this trigger tells every listening instance (LISTEN flows_token_used) when that commits.
CREATE FUNCTION notify_token_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('flows_token_used', NEW.token);
    RETURN NEW;
END
$$;

CREATE TRIGGER notify_token_used AFTER UPDATE OF used_at ON flow_tokens
    FOR EACH ROW WHEN (NEW.used_at IS NOT NULL AND OLD.used_at IS NULL)
    EXECUTE FUNCTION notify_token_used();
