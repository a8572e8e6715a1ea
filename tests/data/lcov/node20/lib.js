function sign(x) {
  if (x > 0) {
    return 1;
  } else if (x < 0) {
    return -1;
  }
  return 0;
}

function unused(a) {
  const b = a * 2;
  return b + 1;
}

module.exports = { sign, unused };
