-- wrk script: a mix of residents' and planners' reads on the five councils:
-- tiles (assets and wards, z10-15 around the centres), /api/nearby, and
-- /api/gaps (whose cache is keyed by the data version, so writes make it work).
math.randomseed(7)
local centres = {
  {-0.150, 51.512}, {-0.275, 51.558}, {-2.233, 53.463}, {-0.200, 51.903}, {-2.250, 53.010},
}
local categories = {"gp", "pharmacy", "library", "food_bank"}
local function tile(lon, lat, z)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end
request = function()
  local c = centres[math.random(#centres)]
  local lon = c[1] + (math.random() - 0.5) * 0.08
  local lat = c[2] + (math.random() - 0.5) * 0.05
  local pick = math.random(100)
  if pick <= 60 then
    local z = math.random(10, 15)
    local x, y = tile(lon, lat, z)
    local layer = (pick % 2 == 0) and "assets" or "wards"
    return wrk.format("GET", string.format("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y), {["Accept-Encoding"] = "gzip"})
  elseif pick <= 95 then
    return wrk.format("GET", string.format("/api/nearby?lon=%.5f&lat=%.5f&limit=10", lon, lat))
  else
    return wrk.format("GET", "/api/gaps?category=" .. categories[math.random(#categories)])
  end
end
