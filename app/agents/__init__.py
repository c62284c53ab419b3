"""Field agents: vetted people who bank for members with cash, from a basic phone."""
