-- Shared prelude of every lock script. ARGV[1] key prefix, ARGV[2] scope, ARGV[3] now (ms).
-- Every key below carries the scope as its hash tag, so one script touches one slot.
local prefix = ARGV[1]
local tag = '{' .. ARGV[2] .. '}'
local now = tonumber(ARGV[3])
local deadlines = prefix .. 'deadlines:' .. tag
local fences = prefix .. 'fence:' .. tag
-- A lock key outlives its expiry by an hour, as a backstop should no sweeper run.
local BACKSTOP_MS = 3600000

local function lock_key(resource) return prefix .. 'lock:' .. tag .. ':' .. resource end
local function owner_key(owner) return prefix .. 'owner:' .. tag .. ':' .. owner end

-- The scope's fencing counter. Stores written before it kept a hash of one counter per
-- resource under the same key (growing with every name ever locked): the counter
-- starts above all of them, so tokens stay monotonic across the upgrade.
local function next_token()
  if redis.call('TYPE', fences).ok == 'hash' then
    local top = 0
    for _, value in ipairs(redis.call('HVALS', fences)) do
      top = math.max(top, tonumber(value))
    end
    redis.call('DEL', fences)
    redis.call('SET', fences, top)
  end
  return redis.call('INCR', fences)
end

local function load(resource)
  local v = redis.call('HMGET', lock_key(resource), 'o', 't', 'e', 'i')
  if not v[1] then return nil end
  return {r = resource, o = v[1], t = tonumber(v[2]), e = tonumber(v[3]), i = v[4]}
end

local function drop(lock)
  redis.call('DEL', lock_key(lock.r))
  redis.call('SREM', owner_key(lock.o), lock.r)
  redis.call('ZREM', deadlines, lock.r)
end

local function put(lock, ttl)
  redis.call('HSET', lock_key(lock.r), 'o', lock.o, 't', lock.t, 'e', lock.e, 'i', lock.i)
  redis.call('PEXPIRE', lock_key(lock.r), ttl + BACKSTOP_MS)
  redis.call('SADD', owner_key(lock.o), lock.r)
  redis.call('ZADD', deadlines, lock.e, lock.r)
end

-- The owner's live locks, sorted by resource; lapsed ones are removed into `expired`.
local function owned(owner, expired)
  local held = {}
  local resources = redis.call('SMEMBERS', owner_key(owner))
  table.sort(resources)
  for _, resource in ipairs(resources) do
    local lock = load(resource)
    if not lock or lock.o ~= owner then
      redis.call('SREM', owner_key(owner), resource)
    elseif lock.e <= now then
      drop(lock)
      table.insert(expired, lock)
    else
      table.insert(held, lock)
    end
  end
  return held
end

-- Remove and return the lock on `resource` if it has lapsed.
local function claim_lapsed(resource)
  local lock = load(resource)
  if lock and lock.e <= now then
    drop(lock)
    return lock, nil
  end
  return nil, lock
end
