SELECT 'a;b', E'c\';d', "q;""x", $$;$$, $tag$ ; $not$ $tag$;
-- c;
/* a /* nested; */ b; */ SELECT 2;