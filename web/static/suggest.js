// The suggestion form's "Use my location": fills the hidden lon/lat fields
// from the browser's position, so the postcode can be left empty. Without
// JavaScript (or without permission) the postcode is the way to say where.

const button = document.getElementById("use-location");
const status = document.getElementById("location-status");
const lon = document.getElementById("field-lon");
const lat = document.getElementById("field-lat");

if (button && navigator.geolocation && lon && lat) {
  button.hidden = false;
  button.addEventListener("click", () => {
    status.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(
      (p) => {
        lon.value = p.coords.longitude.toFixed(6);
        lat.value = p.coords.latitude.toFixed(6);
        const metres = Math.round(p.coords.accuracy || 0);
        status.textContent = `We will use where you are now${metres ? ` (to within about ${metres} m)` : ""}. Leave the postcode empty, or type one to use it instead.`;
      },
      () => {
        status.textContent = "We could not get your location. Type the postcode instead.";
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
}
