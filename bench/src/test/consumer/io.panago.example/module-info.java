/** A program that uses panago exactly as the README tells users to. */
module io.panago.example {
    requires io.panago.net;
}
