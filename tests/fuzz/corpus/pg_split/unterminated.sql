SELECT 'unterminated; 
;;; -- only comments
/* unterminated ; 