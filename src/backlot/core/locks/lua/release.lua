-- ARGV[4] resource, [5] owner ('' with force), [6] token ('' for any), [7] force
local resource, owner, token, force = ARGV[4], ARGV[5], ARGV[6], ARGV[7] == '1'
local lapsed, lock = claim_lapsed(resource)
if lapsed then return cjson.encode({outcome = 'expired', lock = lapsed}) end
if not lock then return cjson.encode({outcome = 'not_locked'}) end
if not force then
  if lock.o ~= owner then return cjson.encode({outcome = 'not_owner', lock = lock}) end
  if token ~= '' and tonumber(token) ~= lock.t then
    return cjson.encode({outcome = 'stale_token', lock = lock})
  end
end
drop(lock)
-- A forced release moves the fencing token on, so the old holder's token is stale.
if force then next_token() end
return cjson.encode({outcome = 'released', lock = lock})
